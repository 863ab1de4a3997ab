-- The same table and rows on PostgreSQL and MariaDB.
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10) NOT NULL, amount NUMERIC(10,2));
INSERT INTO orders VALUES (1, 7, 'paid', 12.50), (2, 7, 'open', 3.00), (3, 8, 'paid', 99.99), (4, 7, 'void', 0.00);
