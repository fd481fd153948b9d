"""Import pupils in need from the schools' spreadsheets, in two steps: a preview that checks
every row and says what would change, then, once the user confirms, the write of the whole
file in one transaction (DESIGN §7: whole or not at all, each row's errors in Vietnamese)."""

from songmay.students.importing.checking import CheckedFile, PupilRow, pupil_rows_check
from songmay.students.importing.columns import COLUMNS, CellError, parse_date
from songmay.students.importing.jobs import (
    run_student_import,
    run_student_preview,
    template_xlsx,
)
from songmay.students.importing.writing import (
    ImportPlan,
    ImportRejectedError,
    ImportSummary,
    import_plan,
    students_import,
)

__all__ = [
    "COLUMNS",
    "CellError",
    "CheckedFile",
    "ImportPlan",
    "ImportRejectedError",
    "ImportSummary",
    "PupilRow",
    "import_plan",
    "parse_date",
    "pupil_rows_check",
    "run_student_import",
    "run_student_preview",
    "students_import",
    "template_xlsx",
]
