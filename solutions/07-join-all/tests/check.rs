checker::check_ex07!(ex07_join_all_solution);
