"""The sheets the CCAS prints and hands out (PDF): four blank templates, the welcome sheet."""
