"""``python -m heroes.cli``."""

from heroes.cli import main

main()
