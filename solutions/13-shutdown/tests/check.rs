checker::check_ex13!(ex13_shutdown_solution);
