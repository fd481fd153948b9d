#!/usr/bin/env python
"""Django's command-line utility; also installed as `.venv/bin/songmay`."""

from songmay.cli import main

if __name__ == "__main__":
    main()
