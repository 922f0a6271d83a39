cidr_block   = "10.10.0.0/16"
repositories = ["api", "worker"]
