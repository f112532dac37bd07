-- 0055: linkage_moves_page
-- The NHI work list of moves is read a page at a time in the order it is
-- shown (the day of the move, then the file and its line), the open ones
-- or every one: each page starts in an index instead of sorting the whole
-- list, which grows with every move ever received.
DROP INDEX linkage_nhi_moves_status;
CREATE INDEX linkage_nhi_moves_open ON linkage_nhi_moves (tenant_code, status, effective, job_id, line);
CREATE INDEX linkage_nhi_moves_page ON linkage_nhi_moves (tenant_code, effective, job_id, line);
