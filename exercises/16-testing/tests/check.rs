checker::check_ex16!(ex16_testing);
