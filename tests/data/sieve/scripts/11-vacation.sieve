require ["vacation"];
vacation :days 5 :addresses ["bob@home.test"] "I am away until Monday.";
