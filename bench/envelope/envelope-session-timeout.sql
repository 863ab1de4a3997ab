\set cid random(1, 10000)
\startpipeline
BEGIN READ ONLY;
SELECT id, status, amount, created_at FROM orders WHERE customer_id = :cid ORDER BY created_at DESC LIMIT 20;
SELECT pg_advisory_unlock_all();
ROLLBACK;
\endpipeline
