"""avnmotion: motion analysis for hip avascular necrosis rehabilitation.

The core library imports without mediapipe, cv2 or FastAPI; heavy imports stay in the
modules that need them (``avnmotion.pose``, ``avnmotion.synth``, ``api``).
"""

from avnmotion.errors import AvnInputError, AvnMotionError, ModelNotAvailableError
from avnmotion.track import LANDMARK_NAMES, PoseTrack

__version__ = "0.1.0"

__all__ = [
    "LANDMARK_NAMES",
    "AvnInputError",
    "AvnMotionError",
    "ModelNotAvailableError",
    "PoseTrack",
    "__version__",
]
