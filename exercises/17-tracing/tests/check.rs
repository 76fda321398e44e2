checker::check_ex17!(ex17_tracing);
