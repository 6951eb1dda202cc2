"""Read one layer file of a utility folder, whatever its format, into a raw table.

Raw tables keep the utility's own column names; CSV values stay text so that
type problems can be reported row by row by :mod:`risk.ingest`.

Bad input never raises here: every problem goes into the :class:`Findings`
with the file, what was expected and how to fix it. A file is recognised by
its first bytes before a library reads it (a spreadsheet renamed ``pipes.csv``
is named as such), a GeoPackage with several layers must say which one to read,
and a CSV file's separator (``,`` ``;`` tab ``|``) is detected.


Modules: ``locate`` (a layer's file), ``formats`` (:func:`read_layer`), ``delimited``
(CSV as its authors meant it).
"""

from risk.io.delimited import (
    column_names_ok,
    detect_separator,
    read_csv_layer,
    warn_long_cells,
)
from risk.io.formats import (
    read_layer,
)
from risk.io.locate import (
    FORMATS,
    HEAD_BYTES,
    find_layer_file,
    format_matches,
    library_error_words,
    shapefile_parts,
)

__all__ = [
    "FORMATS",
    "HEAD_BYTES",
    "column_names_ok",
    "detect_separator",
    "find_layer_file",
    "format_matches",
    "library_error_words",
    "read_csv_layer",
    "read_layer",
    "shapefile_parts",
    "warn_long_cells",
]
