"""What each CLI command does, as plain functions of the parsed arguments (the CLI only dispatches).
One module per command; each imports its heavy parts (torch models, metrics, figures) inside the function,
so `gankit --help` and a bad argument answer before torch's import is paid for the rest."""
from __future__ import annotations

from gankit.commands.evaluate import evaluate
from gankit.commands.features import features
from gankit.commands.generate import generate
from gankit.commands.show import list_all, plot, report
from gankit.commands.train import train

COMMANDS = {"train": train, "generate": generate, "evaluate": evaluate, "features": features, "plot": plot,
            "report": report, "list": list_all}
