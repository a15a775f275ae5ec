// Runs before each test file's imports: point lib/config at the run's DynamoDB Local.
import { inject } from 'vitest';

const dbUrl = inject('dbUrl');
if (dbUrl) {
  process.env.DYNAMODB_ENDPOINT = dbUrl;
  process.env.TABLE_NAME = inject('tableName');
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_REGION = 'us-east-1';
  process.env.LOG_LEVEL = 'warn';
  process.env.API_KEY_CACHE_SECONDS = '0';
}
