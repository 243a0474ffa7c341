import numpy as np
import pytest
import torch

from gankit.data.tabular import load_table
from gankit.errors import GankitError

TABLE = [[1.0, 2.5, -3.0], [4.0, 5.0, 6.25]]


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def assert_table(table: torch.Tensor, expected) -> None:
    assert table.dtype == torch.float32
    assert torch.equal(table, torch.tensor(expected, dtype=torch.float32))


@pytest.mark.parametrize("text", [
    "1,2.5,-3\n4,5,6.25\n",  # no header
    "x,y,z\n1,2.5,-3\n4,5,6.25\n",  # header
    '"x","y","z"\r\n"1", 2.5 ,-3\r\n\r\n4,5,6.25',  # quoted, CRLF, blank line, no final newline
    "\ufeffx,y,z\n1,2.5,-3\n4,5,6.25\n",  # Excel's byte-order mark
])
def test_csv_with_and_without_header(tmp_path, text):
    assert_table(load_table(write(tmp_path, "points.csv", text)), TABLE)


def test_tsv_and_txt(tmp_path):
    assert_table(load_table(write(tmp_path, "p.tsv", "a\tb\tc\n1\t2.5\t-3\n4\t5\t6.25\n")), TABLE)
    assert_table(load_table(write(tmp_path, "p.txt", "1 2.5 -3\n  4\t5   6.25\n")), TABLE)
    assert_table(load_table(write(tmp_path, "q.txt", "\n1,2.5,-3\n4,5,6.25\n")), TABLE)
    np.savetxt(tmp_path / "saved.txt", np.array(TABLE))  # numpy's own whitespace format
    assert_table(load_table(tmp_path / "saved.txt"), TABLE)


def test_single_column_csv_is_n_by_1(tmp_path):
    assert_table(load_table(write(tmp_path, "x.CSV", "value\n1\n2\n3\n")), [[1.0], [2.0], [3.0]])


@pytest.mark.parametrize("text, words", [
    ("x,y\n1,2\n3,abc\n", r"bad\.csv, line 3, column 2: 'abc' is not a number"),
    ("1,2\n\n3,nan\n", r"bad\.csv, line 3, column 2: 'nan' is not a finite"),
    ("1,2\n-inf,3\n", r"bad\.csv, line 2, column 1: '-inf' is not a finite"),
    ("1,2\n1e39,3\n", r"bad\.csv, line 2, column 1: '1e39' is not a finite float32"),
    ("1,2\n3,\n", r"bad\.csv, line 2, column 2: '' is not a number"),
    ("x,1\n2,3\n", r"bad\.csv, line 1, column 1: 'x' is not a number"),  # half header: a typo
    ("x,y\n1,2\n\n3,4,5\n", r"bad\.csv, line 4 has 3 column\(s\), expected 2 \(as on line 1\)"),
    ("1,2\n3\n", r"bad\.csv, line 2 has 1 column\(s\), expected 2"),
    ("", r"bad\.csv is empty"),
    ("\n  \n", r"bad\.csv is empty"),
    ("x,y\n", r"bad\.csv has a header row but no data rows"),
    (b"1,2\n\xff\xfe,3\n", r"bad\.csv is not UTF-8 text"),
])
def test_bad_csv_names_file_line_and_cell(tmp_path, text, words):
    with pytest.raises(GankitError, match=words):
        load_table(write(tmp_path, "bad.csv", text))


def test_npy_1d_and_2d(tmp_path):
    np.save(tmp_path / "one.npy", np.array([1.0, 2.0, 3.0]))
    assert_table(load_table(tmp_path / "one.npy"), [[1.0], [2.0], [3.0]])
    np.save(tmp_path / "two.npy", np.array(TABLE, dtype=np.float64))
    assert_table(load_table(str(tmp_path / "two.npy")), TABLE)
    np.save(tmp_path / "ints.npy", np.array([[1, 2], [3, 4]], dtype=np.int64))
    assert_table(load_table(tmp_path / "ints.npy"), [[1.0, 2.0], [3.0, 4.0]])
    fortran = np.asfortranarray(np.array(TABLE, dtype=np.float32))
    np.save(tmp_path / "fortran.npy", fortran)
    assert_table(load_table(tmp_path / "fortran.npy"), TABLE)


def test_npy_bad_inputs(tmp_path):
    cases = {
        "rank3.npy": (np.zeros((2, 2, 2)), r"rank3\.npy has shape \(2, 2, 2\), expected \(N,\) or \(N, D\)"),
        "scalar.npy": (np.float64(1.0), r"has shape \(\), expected"),
        "empty.npy": (np.zeros((0, 3)), r"empty\.npy has shape \(0, 3\), expected at least one value"),
        "nan.npy": (np.array([[1.0, 2.0], [3.0, 4.0], [np.nan, 0.0]]), r"nan\.npy: row 2 \(0-based\)"),
        "inf.npy": (np.array([1.0, np.inf]), r"row 1 \(0-based\)"),
        "huge.npy": (np.array([[1e300, 0.0]]), r"row 0 \(0-based\) .*too large for float32"),
        "text.npy": (np.array(["a", "b"]), r"text\.npy has dtype <U1, expected real numbers"),
        "complex.npy": (np.array([1 + 1j]), r"expected real numbers"),
    }
    for name, (array, words) in cases.items():
        np.save(tmp_path / name, array)
        with pytest.raises(GankitError, match=words):
            load_table(tmp_path / name)


def test_npy_never_unpickles(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GankitError, match=r"objects\.npy is not a readable numeric \.npy array"):
        load_table(tmp_path / "objects.npy")


@pytest.mark.parametrize("content", [bytes(range(200, 256)) * 2, b"x,y\n1,2\n", b""])
def test_a_file_that_is_not_npy_at_all_is_not_called_pickled(tmp_path, content):
    path = write(tmp_path, "noise.npy", content)  # random bytes, a CSV renamed, an empty file
    with pytest.raises(GankitError, match=r"noise\.npy is not a valid \.npy file") as caught:
        load_table(path)
    assert "pickle" not in str(caught.value)  # was: numpy's "This file contains pickled (object) data"


def test_npz_renamed_to_npy(tmp_path):
    np.savez(tmp_path / "archive.npz", a=np.zeros(3))
    (tmp_path / "archive.npz").rename(tmp_path / "archive.npy")
    with pytest.raises(GankitError, match=r"archive\.npy holds an \.npz archive"):
        load_table(tmp_path / "archive.npy")


def test_missing_file_directory_and_unknown_extension(tmp_path):
    with pytest.raises(GankitError, match=r"nope\.csv not found"):
        load_table(tmp_path / "nope.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(GankitError, match=r"dir\.csv is not a regular file"):
        load_table(tmp_path / "dir.csv")
    with pytest.raises(GankitError, match=r"points\.json has unsupported extension '\.json'; "
                                          r"expected one of: \.csv, \.tsv, \.txt, \.npy"):
        load_table(write(tmp_path, "points.json", "[1, 2]"))
    with pytest.raises(GankitError, match=r"unsupported extension '\(none\)'"):
        load_table(write(tmp_path, "points", "1,2\n"))
