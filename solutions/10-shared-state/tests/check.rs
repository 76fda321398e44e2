checker::check_ex10!(ex10_shared_state_solution);
