require ["fileinto"];
fileinto "Same";
fileinto "Same";
redirect "x@elsewhere.example";
redirect "x@elsewhere.example";
