variable "environment" {
  description = "Name of the environment (dev, prod, ...)."
  type        = string
}

variable "region" {
  description = "AWS region every resource of the environment lives in."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the environment's VPC."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0))
    error_message = "cidr_block must be an IPv4 CIDR block such as 10.10.0.0/16."
  }
}

variable "repositories" {
  description = "Names of the container image repositories."
  type        = list(string)
  default     = []
}
