terraform {
  required_version = ">= 1.11"

  # The real roots keep state in S3 in the environment's own account and region; the demo
  # keeps it next to the configuration so it runs offline.
  backend "local" {}
}
