checker::check_ex12!(ex12_select_loop);
