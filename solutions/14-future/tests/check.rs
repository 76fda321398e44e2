checker::check_ex14!(ex14_future_solution);
