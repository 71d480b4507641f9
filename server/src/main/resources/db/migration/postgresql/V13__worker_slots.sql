-- The slots a worker had free at its last claim (the most jobs it asked for): the console shows them.
ALTER TABLE workers ADD COLUMN free_slots INTEGER;
