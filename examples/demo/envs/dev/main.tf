module "platform" {
  source = "../../modules/platform"

  environment  = local.environment
  region       = local.region
  cidr_block   = var.cidr_block
  repositories = var.repositories
}
