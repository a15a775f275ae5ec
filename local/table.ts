/**
 * Creates the table from lib/db/table.json, the same definition serverless.yml deploys, so that
 * keys and indexes have one source of truth. Safe to run against an existing table.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import definition from '../lib/db/table.json';

export async function createTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'existed'> {
  const {
    TimeToLiveSpecification,
    PointInTimeRecoverySpecification: _pitr,
    SSESpecification: _sse,
    ...rest
  } = definition;
  try {
    await client.send(new CreateTableCommand({ ...(rest as CreateTableCommandInput), TableName: tableName }));
  } catch (error) {
    if ((error as Error).name === 'ResourceInUseException') return 'existed';
    throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: TimeToLiveSpecification }),
  );
  return 'created';
}
