/** IAM role ARNs from the config's `aws.account_id` and `aws.iam_role_name` (DESIGN §0). */
import { ConfigInvalid } from '../errors.ts';

/** IAM role names: 1–64 of `[\w+=,.@-]` (IAM API reference, CreateRole RoleName). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM paths: `/` or `/segment/.../`, printable ASCII (CreateRole Path). */
const ROLE_PATH = /^\/(?:[\x21-\x2e\x30-\x7e]+\/)*$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/.*)$/;

/**
 * `arn:<partition>:iam::<accountId>:role/<path/><roleName>`. `roleName` may carry a path (`service-role/x`) or
 * be a full role ARN of the same account (people paste ARNs into `iam_role_name`). Throws `CONFIG_INVALID`.
 */
export function roleArn(accountId: string, roleName: string, partition = 'aws'): string {
  const account = accountId.trim();
  if (!/^\d{12}$/.test(account)) {
    throw invalid('aws.account_id', `must be a 12-digit AWS account id, got ${JSON.stringify(accountId)}`,
      'Quote the account id in YAML ("012345678901") so leading zeros survive, and use all 12 digits.');
  }
  const name = roleName.trim();
  const asArn = ROLE_ARN.exec(name);
  if (asArn !== null) {
    if (asArn[2] !== account) {
      throw invalid('aws.iam_role_name', `is an ARN in account ${asArn[2]}, but aws.account_id is ${account}`,
        'Give just the role name, or make aws.account_id match the ARN.');
    }
    return roleArn(account, (asArn[3] as string).slice(1), asArn[1]);
  }
  const slash = name.lastIndexOf('/');
  const path = slash < 0 ? '/' : `/${name.slice(0, slash + 1).replace(/^\/+/, '')}`;
  const bare = name.slice(slash + 1);
  if (!ROLE_NAME.test(bare) || !ROLE_PATH.test(path)) {
    throw invalid('aws.iam_role_name', `must be an IAM role name (1-64 characters of letters, digits and +=,.@_-, optionally after a path), got ${JSON.stringify(roleName)}`,
      'Use the role name shown in IAM > Roles, e.g. athena-to-bigquery-reader.');
  }
  return `arn:${partition}:iam::${account}:role${path}${bare}`;
}

function invalid(path: string, message: string, hint: string): ConfigInvalid {
  return new ConfigInvalid('(aws section)', [{ path, message, hint }]);
}
