import { Controller, Get } from '@nestjs/common';
import { MailSink, type Email } from './mail.sink';

@Controller('emails')
export class EmailsController {
  constructor(private readonly sink: MailSink) {}

  @Get()
  list(): readonly Email[] {
    return this.sink.list();
  }
}
