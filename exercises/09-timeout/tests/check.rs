checker::check_ex09_timeout!(ex09_timeout);
