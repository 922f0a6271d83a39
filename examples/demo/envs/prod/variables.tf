variable "cidr_block" {
  description = "IPv4 CIDR block of the environment's VPC."
  type        = string
}

variable "repositories" {
  description = "Names of the container image repositories."
  type        = list(string)
}
