"""docs/warehouse.md must describe the live schema: every table, view and column."""

import re

from commentary_monitor.warehouse import Warehouse

from .conftest import REPO


def test_every_table_and_column_is_documented(tmp_path):
    doc = (REPO / "docs" / "warehouse.md").read_text(encoding="utf-8")
    sections = {m.group(1): m.start() for m in re.finditer(r"^### `(\w+)`", doc, re.M)}
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        columns = wh.con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'main' "
            "order by table_name, ordinal_position"
        ).fetchall()
    tables = {t for t, _ in columns}
    assert tables <= set(sections), f"undocumented: {tables - set(sections)}"
    starts = sorted(sections.values()) + [len(doc)]
    for table, column in columns:
        start = sections[table]
        body = doc[start : starts[starts.index(start) + 1]]
        assert re.search(rf"`{column}`", body), f"{table}.{column} is not documented"
