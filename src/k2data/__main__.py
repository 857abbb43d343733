"""``python -m k2data`` runs the command line."""

from k2data.cli import main

main()
