"""Number of rows that differ between two CSV files of the same shape."""
import sys

a = open(sys.argv[1]).read().split()
b = open(sys.argv[2]).read().split()
print(sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b)), "of", max(len(a), len(b)))
