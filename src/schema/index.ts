import { builder } from '../builder.ts';
import './scalars.ts';
import './paper.ts';
import './topic.ts';
import './organization.ts';
import './author.ts';

builder.queryType({ description: 'The entry points for reading papers, topics and organizations.' });

export const schema = builder.toSchema();
