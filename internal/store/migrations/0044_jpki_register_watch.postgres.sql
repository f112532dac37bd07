-- jpki_register_watch: claimed; the real statements follow in the next commit.
SELECT 1;
