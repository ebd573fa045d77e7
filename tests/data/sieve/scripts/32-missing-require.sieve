if true { fileinto "A"; }
