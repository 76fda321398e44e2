checker::check_ex15!(ex15_block_on_solution);
