"""Rollup maths shared by the backends: records of readings per bucket, and bucket statistics
(count, sum, min, max, time-weighted mean, coverage) computed exactly from them with numpy.

records.py       Records (one per non-empty bucket of one series), rollups and long gaps
timeweighted.py  per-bucket statistics of a room from its sensors' records
"""
