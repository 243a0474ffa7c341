"""`python -m gankit ...`, `torchrun -m gankit train ...` and the `gankit` command all start here.

The CLI's own imports (argparse, the config tables, YAML) take ~60 ms; a Ctrl-C in that window used to
end in a traceback from an import line, because the CLI's handler (exit 130, one line) was not set up
yet, and so was one while the arguments were parsed. `run` holds the CLI's import and its argument
parsing to the same contract (a command's own run prints `gankit CMD: interrupted`), so only Python's
own start-up (~20 ms) remains outside it.
"""
import sys


def run() -> None:
    try:
        from gankit.cli import main

        main()
    except KeyboardInterrupt:
        print("gankit: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    run()
