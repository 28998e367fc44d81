-- 013: one row that every keyed write to a DuckLake bumps in its transaction (Warehouse.upsert).
-- A lake has no keys, and DuckLake lets two transactions that only insert into a table commit
-- side by side: two writers that MERGE the same article at once would both insert it. Both
-- also update this row, so DuckLake sees a conflict, one commit fails, and that write is run
-- again (Warehouse.retrying), now seeing the other's rows. The DuckDB file has its keys and
-- one writer: there the row is never touched.

CREATE TABLE write_turns (
    turns  BIGINT NOT NULL
);
INSERT INTO write_turns VALUES (0);
