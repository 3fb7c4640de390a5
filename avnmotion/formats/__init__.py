"""Readers and writers for motion files (TRC, C3D)."""
