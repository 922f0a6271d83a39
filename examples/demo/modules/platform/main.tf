################################################################################
# A stand-in for the real platform modules: the same shape of inputs, built only
# from terraform_data so the whole workflow runs offline.
################################################################################

resource "terraform_data" "network" {
  input = {
    region     = var.region
    cidr_block = var.cidr_block
  }
}

resource "terraform_data" "cluster" {
  input = {
    name                   = "${var.environment}-platform"
    endpoint_public_access = false
    network                = terraform_data.network.output.cidr_block
  }
}

resource "terraform_data" "registry" {
  for_each = toset(var.repositories)

  input = {
    name                 = each.key
    image_tag_mutability = "IMMUTABLE"
    scan_on_push         = true
    region               = var.region
  }
}
