-- Holds number 0005, which another change being merged at the same time
-- takes; this file goes when that one lands (numbers run without gaps).
SELECT 1;
