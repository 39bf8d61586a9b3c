"""A generated Terraform project for `bench_iac.py`: about 3,000 lines, 130 resources, 47 files.

A root module calls eight local modules (network, storage, compute, database, iam, logging, kms,
containers); each has main.tf, variables.tf and outputs.tf, some a second resource file. Resources mix
secure and insecure settings (public buckets, open security groups, unencrypted databases, wildcard
IAM) so both tools have findings to report. The content is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

VPC = """resource "aws_vpc" "{n}" {{
  cidr_block           = "10.{i}.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {{
    Name        = "${{var.name}}-{n}"
    Environment = var.environment
    Owner       = "platform"
  }}
}}
"""

SUBNET = """resource "aws_subnet" "{n}" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.{i}.0/24"
  availability_zone       = "eu-west-1${{element(["a", "b", "c"], {i})}}"
  map_public_ip_on_launch = {public}

  tags = {{
    Name = "${{var.name}}-subnet-{n}"
    Tier = "{tier}"
  }}
}}
"""

ROUTE_TABLE = """resource "aws_route_table" "{n}" {{
  vpc_id = aws_vpc.main.id

  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }}

  tags = {{
    Name = "${{var.name}}-rt-{n}"
  }}
}}

resource "aws_route_table_association" "{n}" {{
  subnet_id      = aws_subnet.{subnet}.id
  route_table_id = aws_route_table.{n}.id
}}
"""

SECURITY_GROUP = """resource "aws_security_group" "{n}" {{
  name        = "${{var.name}}-{n}"
  description = "Security group {n}"
  vpc_id      = var.vpc_id

  ingress {{
    description = "application"
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = [{cidr}]
  }}

  ingress {{
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  tags = local.tags
}}
"""

BUCKET = """resource "aws_s3_bucket" "{n}" {{
  bucket        = "${{var.name}}-{n}"
  force_destroy = false

  tags = merge(local.tags, {{
    Purpose = "{n}"
  }})
}}

resource "aws_s3_bucket_versioning" "{n}" {{
  bucket = aws_s3_bucket.{n}.id

  versioning_configuration {{
    status = "{versioning}"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "{n}" {{
  bucket = aws_s3_bucket.{n}.id

  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }}
    bucket_key_enabled = true
  }}
}}
"""

BUCKET_PAB = """resource "aws_s3_bucket_public_access_block" "{n}" {{
  bucket = aws_s3_bucket.{n}.id

  block_public_acls       = true
  block_public_policy     = {block}
  ignore_public_acls      = true
  restrict_public_buckets = true
}}
"""

INSTANCE = """resource "aws_instance" "{n}" {{
  ami                         = var.ami_id
  instance_type               = "{size}"
  subnet_id                   = var.subnet_ids[{i}]
  associate_public_ip_address = {public}
  vpc_security_group_ids      = [aws_security_group.{sg}.id]
  iam_instance_profile        = var.instance_profile
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {{
    http_endpoint = "enabled"
    http_tokens   = "{tokens}"
  }}

  root_block_device {{
    volume_size = 30
    volume_type = "gp3"
    encrypted   = {encrypted}
  }}

  user_data = <<-EOT
    #!/bin/bash
    echo "instance {n}" > /etc/motd
    systemctl enable --now amazon-ssm-agent
  EOT

  tags = merge(local.tags, {{
    Name = "${{var.name}}-{n}"
    Role = "{role}"
  }})
}}
"""

VOLUME = """resource "aws_ebs_volume" "{n}" {{
  availability_zone = "eu-west-1a"
  size              = {size}
  type              = "gp3"
  encrypted         = {encrypted}

  tags = local.tags
}}
"""

DATABASE = """resource "aws_db_instance" "{n}" {{
  identifier                = "${{var.name}}-{n}"
  engine                    = "{engine}"
  engine_version            = "{version}"
  instance_class            = "db.t3.medium"
  allocated_storage         = 50
  max_allocated_storage     = 200
  db_name                   = "app"
  username                  = "app"
  manage_master_user_password = true
  storage_encrypted         = {encrypted}
  backup_retention_period   = {retention}
  publicly_accessible       = {public}
  multi_az                  = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${{var.name}}-{n}-final"
  db_subnet_group_name      = aws_db_subnet_group.main.name
  vpc_security_group_ids    = [var.security_group_id]
  performance_insights_enabled = true

  tags = local.tags
}}
"""

SUBNET_GROUP = """resource "aws_db_subnet_group" "main" {
  name       = "${var.name}-db"
  subnet_ids = var.subnet_ids

  tags = local.tags
}
"""

IAM_ROLE = """resource "aws_iam_role" "{n}" {{
  name = "${{var.name}}-{n}"

  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "ec2.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})

  tags = local.tags
}}

resource "aws_iam_role_policy" "{n}" {{
  name = "${{var.name}}-{n}"
  role = aws_iam_role.{n}.id

  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Effect   = "Allow"
        Action   = [{actions}]
        Resource = "{resource}"
      }},
      {{
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:*:*:log-group:/app/{n}:*"
      }},
    ]
  }})
}}
"""

POLICY_DOC = """data "aws_iam_policy_document" "{n}" {{
  statement {{
    sid       = "Read{i}"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${{var.name}}-{n}", "arn:aws:s3:::${{var.name}}-{n}/*"]
  }}

  statement {{
    sid       = "Write{i}"
    effect    = "Allow"
    actions   = [{actions}]
    resources = ["{resource}"]
  }}
}}

resource "aws_iam_policy" "{n}" {{
  name   = "${{var.name}}-{n}"
  policy = data.aws_iam_policy_document.{n}.json
}}
"""

KMS = """resource "aws_kms_key" "{n}" {{
  description             = "${{var.name}} {n}"
  deletion_window_in_days = 30
  enable_key_rotation     = {rotation}

  tags = local.tags
}}

resource "aws_kms_alias" "{n}" {{
  name          = "alias/${{var.name}}-{n}"
  target_key_id = aws_kms_key.{n}.key_id
}}
"""

TRAIL = """resource "aws_cloudtrail" "{n}" {{
  name                          = "${{var.name}}-{n}"
  s3_bucket_name                = var.log_bucket
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = {validation}
  kms_key_id                    = {kms}

  event_selector {{
    read_write_type           = "All"
    include_management_events = true
  }}

  tags = local.tags
}}
"""

LOG_GROUP = """resource "aws_cloudwatch_log_group" "{n}" {{
  name              = "/app/${{var.name}}/{n}"
  retention_in_days = {days}
  kms_key_id        = var.kms_key_arn

  tags = local.tags
}}
"""

ECR = """resource "aws_ecr_repository" "{n}" {{
  name                 = "${{var.name}}/{n}"
  image_tag_mutability = "{mutability}"

  image_scanning_configuration {{
    scan_on_push = true
  }}

  encryption_configuration {{
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }}

  tags = local.tags
}}
"""


ENDPOINT = """resource "aws_vpc_endpoint" "{n}" {{
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.eu-west-1.{n}"
  vpc_endpoint_type   = "{kind}"
  private_dns_enabled = {dns}
  subnet_ids          = {subnets}

  tags = merge(local.tags, {{
    Name    = "${{var.name}}-{n}"
    Service = "{n}"
  }})
}}
"""

LOAD_BALANCER = """resource "aws_lb" "main" {
  name                       = "${var.name}-alb"
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.sg1.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  access_logs {
    bucket  = "${var.name}-alb-logs"
    prefix  = "alb"
    enabled = true
  }

  tags = local.tags
}

resource "aws_lb_target_group" "app" {
  name     = "${var.name}-app"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = var.vpc_id

  health_check {
    path                = "/healthz"
    healthy_threshold   = 3
    unhealthy_threshold = 3
    interval            = 15
    matcher             = "200"
  }

  tags = local.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
"""

PARAMETER_GROUP = """resource "aws_db_parameter_group" "{n}" {{
  name   = "${{var.name}}-{n}"
  family = "{family}"

  parameter {{
    name  = "{p1}"
    value = "1"
  }}

  parameter {{
    name         = "{p2}"
    value        = "{v2}"
    apply_method = "pending-reboot"
  }}

  tags = local.tags
}}
"""

ALARM = """resource "aws_cloudwatch_metric_alarm" "{n}" {{
  alarm_name          = "${{var.name}}-{n}"
  alarm_description   = "Alarm {n} of the ${{var.environment}} environment"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = {periods}
  metric_name         = "{metric}"
  namespace           = "{namespace}"
  period              = 300
  statistic           = "Average"
  threshold           = {threshold}
  treat_missing_data  = "notBreaching"
  alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:alerts"]
  ok_actions          = ["arn:aws:sns:eu-west-1:123456789012:alerts"]

  dimensions = {{
    Environment = var.environment
  }}

  tags = local.tags
}}
"""

VARIABLES = """variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "bench"
}

variable "environment" {
  description = "Deployment environment."
  type        = string
  default     = "production"
}
"""

MODULE_VARIABLES = {
    "network": ["vpc_id"],
    "storage": ["kms_key_arn"],
    "compute": ["ami_id", "subnet_ids", "instance_profile", "vpc_id"],
    "database": ["subnet_ids", "security_group_id"],
    "iam": [],
    "logging": ["log_bucket", "kms_key_arn"],
    "kms": [],
    "monitoring": [],
    "containers": ["kms_key_arn"],
}


def _variable(name: str) -> str:
    kind = "list(string)" if name.endswith("_ids") else "string"
    return f'variable "{name}" {{\n  description = "Input {name}."\n  type        = {kind}\n}}\n'


def _locals() -> str:
    return (
        "locals {\n  tags = {\n    Project     = var.name\n    Environment = var.environment\n"
        '    ManagedBy   = "terraform"\n  }\n}\n'
    )


def _outputs(names: list[str]) -> str:
    return "".join(f'output "{n}" {{\n  value = {n}\n}}\n\n' for n in names)


def _each(template: str, count: int, **values: Callable[[int], object]) -> str:
    out = []
    for i in range(count):
        fields = {k: f(i) for k, f in values.items()}
        header = (
            f"# {fields.get('n', i)}: owned by the platform team; changes go through review.\n"
            "# Settings below follow the baseline of the security guild unless noted.\n"
            f"# Runbook: docs/runbooks/{fields.get('n', i)}.md\n"
            "#\n"
        )
        out.append(header + template.format(i=i, **fields))
    return "\n".join(out)


def bool_(every: int) -> Callable[[int], str]:
    """false for every ``every``-th resource, true for the others."""
    return lambda i: "false" if i % every == 0 else "true"


GATEWAY = (
    '\nresource "aws_internet_gateway" "main" {\n  vpc_id = aws_vpc.main.id\n  tags   = local.tags\n}\n\n'
)


def modules() -> dict[str, dict[str, str]]:
    return {
        "network": {
            "main.tf": _each(VPC, 1, n=lambda i: "main")
            + GATEWAY
            + _each(
                SUBNET,
                6,
                n=lambda i: f"s{i}",
                public=bool_(2),
                tier=lambda i: "public" if i % 2 else "private",
            ),
            "routes.tf": _each(ROUTE_TABLE, 4, n=lambda i: f"rt{i}", subnet=lambda i: f"s{i}"),
            "endpoints.tf": _each(
                ENDPOINT,
                6,
                n=lambda i: ("s3", "dynamodb", "ssm", "ec2messages", "ssmmessages", "logs")[i],
                kind=lambda i: "Gateway" if i < 2 else "Interface",
                dns=lambda i: "false" if i < 2 else "true",
                subnets=lambda i: "null" if i < 2 else "[aws_subnet.s0.id, aws_subnet.s2.id]",
            ),
            "security.tf": _each(
                SECURITY_GROUP,
                4,
                n=lambda i: f"sg{i}",
                port=lambda i: (22, 8080, 3389, 5432)[i],
                cidr=lambda i: '"10.0.0.0/8"' if i == 1 else '"0.0.0.0/0"',
            ),
        },
        "storage": {
            "main.tf": _each(
                BUCKET, 6, n=lambda i: f"b{i}", versioning=lambda i: "Suspended" if i % 3 == 0 else "Enabled"
            ),
            "access.tf": _each(BUCKET_PAB, 6, n=lambda i: f"b{i}", block=bool_(4)),
        },
        "compute": {
            "main.tf": _each(
                INSTANCE,
                6,
                n=lambda i: f"vm{i}",
                size=lambda i: ("t3.micro", "t3.small", "m5.large")[i % 3],
                public=lambda i: "true" if i % 3 == 0 else "false",
                sg=lambda i: f"sg{i % 2}",
                tokens=lambda i: "optional" if i % 2 else "required",
                encrypted=bool_(3),
                role=lambda i: ("web", "worker", "batch")[i % 3],
            ),
            "lb.tf": LOAD_BALANCER,
            "volumes.tf": _each(
                VOLUME, 6, n=lambda i: f"data{i}", size=lambda i: 20 + 10 * i, encrypted=bool_(2)
            )
            + "\n"
            + _each(
                SECURITY_GROUP,
                2,
                n=lambda i: f"sg{i}",
                port=lambda i: (22, 443)[i],
                cidr=lambda i: '"0.0.0.0/0"',
            ),
        },
        "database": {
            "main.tf": SUBNET_GROUP
            + "\n"
            + _each(
                DATABASE,
                5,
                n=lambda i: f"db{i}",
                engine=lambda i: ("postgres", "mysql")[i % 2],
                version=lambda i: ("16.3", "8.0.36")[i % 2],
                encrypted=bool_(3),
                retention=lambda i: 0 if i == 4 else 14,
                public=lambda i: "true" if i == 2 else "false",
            ),
        },
        "iam": {
            "main.tf": _each(
                IAM_ROLE,
                6,
                n=lambda i: f"role{i}",
                actions=lambda i: (
                    '"s3:*"' if i == 0 else '"*"' if i == 3 else '"sqs:SendMessage", "sqs:ReceiveMessage"'
                ),
                resource=lambda i: "*" if i % 2 else "arn:aws:sqs:eu-west-1:123456789012:jobs",
            ),
            "documents.tf": _each(
                POLICY_DOC,
                5,
                n=lambda i: f"doc{i}",
                actions=lambda i: '"dynamodb:PutItem", "dynamodb:DeleteItem"',
                resource=lambda i: "*" if i == 1 else "arn:aws:dynamodb:eu-west-1:123456789012:table/app",
            ),
        },
        "logging": {
            "main.tf": _each(
                TRAIL,
                3,
                n=lambda i: f"trail{i}",
                validation=bool_(2),
                kms=lambda i: "null" if i == 1 else "var.kms_key_arn",
            )
            + "\n"
            + _each(LOG_GROUP, 6, n=lambda i: f"lg{i}", days=lambda i: (30, 90, 365)[i % 3]),
        },
        "monitoring": {
            "main.tf": _each(
                ALARM,
                9,
                n=lambda i: f"alarm{i}",
                periods=lambda i: 1 + i % 3,
                metric=lambda i: ("CPUUtilization", "FreeStorageSpace", "5XXError")[i % 3],
                namespace=lambda i: ("AWS/EC2", "AWS/RDS", "AWS/ApplicationELB")[i % 3],
                threshold=lambda i: (80, 1000000000, 10)[i % 3],
            ),
            "database.tf": _each(
                PARAMETER_GROUP,
                3,
                n=lambda i: f"pg{i}",
                family=lambda i: ("postgres16", "mysql8.0", "postgres16")[i],
                p1=lambda i: ("log_connections", "general_log", "log_disconnections")[i],
                p2=lambda i: ("shared_preload_libraries", "slow_query_log", "log_min_duration_statement")[i],
                v2=lambda i: ("pg_stat_statements", "1", "500")[i],
            ),
        },
        "kms": {"main.tf": _each(KMS, 6, n=lambda i: f"key{i}", rotation=bool_(3))},
        "containers": {
            "main.tf": _each(
                ECR, 6, n=lambda i: f"repo{i}", mutability=lambda i: "MUTABLE" if i % 2 else "IMMUTABLE"
            )
        },
    }


def root() -> dict[str, str]:
    calls = []
    inputs = {
        "vpc_id": '"vpc-0123456789"',
        "kms_key_arn": '"arn:aws:kms:eu-west-1:123456789012:key/abc"',
        "ami_id": '"ami-0123456789abcdef0"',
        "subnet_ids": '["subnet-a", "subnet-b", "subnet-c", "subnet-d", "subnet-e", "subnet-f"]',
        "instance_profile": '"app"',
        "security_group_id": '"sg-0123456789"',
        "log_bucket": '"bench-logs"',
    }
    for name, variables in MODULE_VARIABLES.items():
        args = "".join(f"  {v:<17} = {inputs[v]}\n" for v in variables)
        calls.append(
            f'module "{name}" {{\n  source = "./modules/{name}"\n\n  name        = var.name\n'
            f"  environment = var.environment\n{args}}}\n"
        )
    return {
        "main.tf": "\n".join(calls),
        "variables.tf": VARIABLES,
        "versions.tf": 'terraform {\n  required_version = ">= 1.5"\n\n  required_providers {\n    aws = {\n'
        '      source  = "hashicorp/aws"\n      version = "~> 5.0"\n    }\n  }\n}\n',
        "providers.tf": 'provider "aws" {\n  region = "eu-west-1"\n\n  default_tags {\n    tags = {\n'
        "      Project = var.name\n    }\n  }\n}\n",
        "outputs.tf": _outputs([f"module.{n}" for n in MODULE_VARIABLES]),
        "terraform.tfvars": 'name        = "bench"\nenvironment = "production"\n',
    }


def write_project(target: Path, marker: str = "") -> tuple[int, int]:
    """Write the project under ``target``; returns (files, lines). ``marker`` makes copies distinct."""
    files = {f"{target}/{rel}": text for rel, text in root().items()}
    for name, members in modules().items():
        for rel, text in members.items():
            files[f"{target}/modules/{name}/{rel}"] = text
        files[f"{target}/modules/{name}/variables.tf"] = VARIABLES + "".join(
            "\n" + _variable(v) for v in MODULE_VARIABLES[name]
        )
        files[f"{target}/modules/{name}/locals.tf"] = _locals()
        files[f"{target}/modules/{name}/outputs.tf"] = _outputs(
            [f"{_first_resource(text)}" for text in members.values()]
        )
    lines = 0
    for path, text in files.items():
        if marker:
            text = f"# {marker}\n{text}"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, "utf-8")
        lines += text.count("\n")
    return len(files), lines


def _first_resource(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("resource "):
            _, kind, name, _ = line.replace('"', "").split(" ", 3)
            return f"{kind}.{name}.id"
    return "null"
