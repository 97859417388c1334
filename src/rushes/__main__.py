"""``python -m rushes`` runs the command line."""

from rushes.cli.main import main

if __name__ == "__main__":
    main()
