"""Is this file NumPy's at all? Checked by its first bytes before np.load sees it.

np.load decides what a file is by its content, not its name: the NPY signature means an array, a ZIP
signature an .npz archive, and ANYTHING else is taken for a pickle. With allow_pickle=False (always, in
gankit) that last case fails as "This file contains pickled (object) data", so a truncated download or a
mislabelled file (random bytes, a CSV renamed .npy) was reported as a pickle. Saying what the file is
not, and what was expected, is the whole job of this module.
"""
from __future__ import annotations

from pathlib import Path

from gankit.errors import GankitError

NPY_SIGNATURE = b"\x93NUMPY"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive's end record


def check_numpy_file(path: str | Path, what: str = "data file") -> str:
    """'npy' or 'npz' by the file's signature; GankitError naming the file when it is neither."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_SIGNATURE))
    except OSError as err:
        raise GankitError(f"{what} {path} cannot be read ({err.strerror})") from None
    if head.startswith(NPY_SIGNATURE):
        return "npy"
    if head.startswith(ZIP_SIGNATURES):
        return "npz"
    if path.suffix.lower() == ".npz":
        raise GankitError(f"{what} {path} is not a valid .npz file (not a ZIP archive); expected a file written "
                          "by numpy.savez")
    raise GankitError(f"{what} {path} is not a valid .npy file (no NPY header); expected a file written by "
                      "numpy.save")
