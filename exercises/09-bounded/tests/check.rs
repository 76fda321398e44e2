checker::check_ex09_bounded!(ex09_bounded);
