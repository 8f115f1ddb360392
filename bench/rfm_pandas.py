"""The data team's route: RFM scores of every buyer from a CSV export, in pandas.

Same rules as prio: recency in days since the last purchase (lower is better),
frequency = purchases, monetary = sum; breaks = quintiles with linear
interpolation (percentile_cont); score = 1 + breaks strictly below the value
(5 - that for recency).  Usage: rfm_pandas.py purchases.csv AS_OF > scores.csv
"""
import sys

import numpy as np
import pandas as pd

purchases, as_of = sys.argv[1], pd.Timestamp(sys.argv[2])
df = pd.read_csv(purchases, names=["customer_id", "at", "amount"])
df["at"] = pd.to_datetime(df["at"], utc=True)
g = df.groupby("customer_id").agg(last_at=("at", "max"), fr=("at", "size"), mo=("amount", "sum"))
rec = (as_of - g["last_at"]).dt.total_seconds() / 86400.0
q = [0.2, 0.4, 0.6, 0.8]
out = pd.DataFrame({
    "customer_id": g.index,
    "r": 5 - np.searchsorted(np.quantile(rec, q), rec.to_numpy(), side="left"),
    "f": 1 + np.searchsorted(np.quantile(g["fr"], q), g["fr"].to_numpy(), side="left"),
    "m": 1 + np.searchsorted(np.quantile(g["mo"], q), g["mo"].to_numpy(), side="left"),
})
out.sort_values("customer_id").to_csv(sys.stdout, header=False, index=False)
