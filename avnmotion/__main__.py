from avnmotion.cli import main

raise SystemExit(main())
