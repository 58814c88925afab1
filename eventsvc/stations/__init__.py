"""Service stations (服务阵地): a permanent QR, daily visits, services given in bulk."""
