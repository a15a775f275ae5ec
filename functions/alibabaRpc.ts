import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { alibabaRpc } from '../lib/alibaba/door';

/** Alibaba Cloud's CEN OpenAPI (RPC style) at `/`: decode, verify, dispatch (SPEC §8). */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => alibabaRpc(event, context);
