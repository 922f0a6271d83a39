output "trail_arn" {
  description = "ARN of the organization trail (management account)."
  value       = aws_cloudtrail.organization.arn
}

output "trail_bucket" {
  description = "Name of the Object Lock bucket (log archive account) that keeps the trail's log files."
  value       = aws_s3_bucket.trail.id
}

output "cis_alarm_topic_arn" {
  description = "ARN of the SNS topic the CIS monitoring alarms notify: subscribe the security team to it."
  value       = aws_sns_topic.cis_alarms.arn
}
