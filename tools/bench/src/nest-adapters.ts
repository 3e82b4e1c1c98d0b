import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter } from '@nestjs/platform-express';

// The same one-route Nest app on each adapter: the adapter choice is measured, not assumed.
@Controller('x')
class C {
  @Get()
  get() {
    return { data: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `project-${i}` })) };
  }
}
@Module({ controllers: [C] })
class M {}

async function main() {
  const [adapter, port] = [process.argv[2], Number(process.argv[3])];
  const app = await NestFactory.create(M, adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.listen(port, '127.0.0.1');
  process.send?.('ready');
}
void main();
