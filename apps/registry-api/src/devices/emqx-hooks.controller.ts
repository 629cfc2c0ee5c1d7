import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceAccessService } from '@app/broker';
import { Public } from '@app/platform';

export class EmqxAuthenticationRequest {
  @IsString()
  clientid!: string;

  @IsString()
  username!: string;

  @IsString()
  password!: string;
}

export class EmqxAuthorizationRequest {
  @IsString()
  clientid!: string;

  @IsOptional()
  @IsString()
  username?: string;

  @IsString()
  topic!: string;

  @IsIn(['publish', 'subscribe'])
  action!: 'publish' | 'subscribe';
}

type EmqxResult = { result: 'allow' | 'deny' | 'ignore'; is_superuser?: boolean };

/**
 * EMQX's HTTP authentication and authorization hooks (EMQX 5 request/response format). Configure EMQX to POST
 * `{"clientid": "${clientid}", "username": "${username}", "password": "${password}"}` to `/v1/broker/emqx/authenticate`
 * and `{"clientid": "${clientid}", "username": "${username}", "topic": "${topic}", "action": "${action}"}` to
 * `/v1/broker/emqx/authorize`, with the header `Authorization: Bearer <BROKER_HOOK_SECRET>`.
 */
@ApiExcludeController()
@Public()
@Controller('v1/broker/emqx')
export class EmqxHooksController {
  private readonly logger = new Logger('EmqxHooks');

  constructor(
    private readonly access: DeviceAccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('authenticate')
  @HttpCode(200)
  async authenticate(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: EmqxAuthenticationRequest,
  ): Promise<EmqxResult> {
    this.checkCaller(authorization);
    const decision = await this.access.authenticate(body.clientid, body.username, body.password);
    if (!decision.allowed) this.logger.log(`refused ${body.username}: ${decision.reason}`);
    return { result: decision.allowed ? 'allow' : 'deny', is_superuser: false };
  }

  @Post('authorize')
  @HttpCode(200)
  authorize(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: EmqxAuthorizationRequest,
  ): EmqxResult {
    this.checkCaller(authorization);
    const imei = body.username ?? body.clientid;
    const allowed = body.clientid === imei && this.access.authorize(imei, body.topic, body.action);
    return { result: allowed ? 'allow' : 'deny' };
  }

  private checkCaller(authorization: string | undefined): void {
    const expected = this.config.brokerHookSecret;
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    // Compared as the bytes sent (Node reads header values as latin1): a non-ASCII header may have as many
    // characters as the secret but another number of bytes.
    const givenBytes = given === undefined ? undefined : Buffer.from(given, 'latin1');
    const expectedBytes = expected === undefined ? undefined : Buffer.from(expected, 'utf8');
    const ok =
      expectedBytes !== undefined &&
      givenBytes !== undefined &&
      givenBytes.length === expectedBytes.length &&
      timingSafeEqual(givenBytes, expectedBytes);
    if (!ok)
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'broker hook secret missing or wrong',
      });
  }
}
